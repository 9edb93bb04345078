// What the student reads for each error code of the contract: what happened and what to do next.
// tests/unit/test_web_messages.py checks that every code the API can answer has an entry here.

// R-ACC-5, as the registration form states it.
export const PASSWORD_POLICY = "密码要求：8 至 64 位，同时包含字母和数字；不能是常用密码（如 password1），不能大部分为同一个字符或空格，不能与账号相同。";

export const MESSAGES = {
  // conventions
  INVALID_REQUEST: "填写的内容有误，请按提示检查后重新提交。",
  BUSY: "系统繁忙，请稍等片刻再试；您已完成的步骤不会丢失。",
  IDENTITY_KEY_UNAVAILABLE: "系统正在维护考生身份数据，暂时无法查询或保存，请稍后再试；您已完成的步骤不会丢失。",
  UNAUTHENTICATED: "登录已失效，请重新登录。",
  FORBIDDEN: "您无权查看或修改这条信息。如果使用了他人的账号，请退出后用本人通行证登录。",
  NOT_FOUND: "没有找到这条信息，它可能已被删除。请返回报名首页查看最新状态。",
  METHOD_NOT_ALLOWED: "页面版本过旧，请刷新页面后重试。",
  UNSUPPORTED_MEDIA_TYPE: "页面版本过旧，请刷新页面后重试（请求内容类型不受支持）。",
  TOO_MANY_ATTEMPTS: "尝试次数过多，请稍后再试。",
  // accounts (R-ACC)
  INVALID_CAPTCHA: "验证码错误或已过期。已为您换了一张新的验证码，请重新输入。",
  INVALID_LOGIN: "请输入有效的电子邮箱或中国大陆手机号码作为通行证账号。",
  WEAK_PASSWORD: "密码需为 8 至 64 位，同时包含字母和数字，不能是常用密码，不能大部分为同一个字符或空格，也不能与账号相同。请换一个密码。",
  LOGIN_TAKEN: "该邮箱或手机号已被使用（或刚停用不满 30 天），请直接登录，或换一个邮箱或手机号；忘记密码请点“忘记密码”。",
  INVALID_CODE: "验证码不正确或已失效（10 分钟内有效，只能使用一次）。请核对，或重新获取验证码。",
  BAD_CREDENTIALS: "账号或密码错误，请核对后重新输入（注意大小写）。",
  // agreement and qualification (R-QUAL)
  AGREEMENT_REQUIRED: "请先阅读并同意报名协议，再查询资格信息。",
  UNSUPPORTED_ID_TYPE: "本系统不支持军官证报名，请选择其他有效证件类型后查询。",
  INVALID_ID_NUMBER: "证件号码格式不正确（居民身份证为 18 位，最后一位可能是 X），请核对后重新输入。",
  CANDIDATE_NOT_FOUND: "学籍库中没有与该证件号码和姓名相符的考生。请核对证件类型、号码和姓名，仍有问题请联系学校负责老师。",
  // CET6 review (R-REV)
  REVIEW_NOT_OFFERED: "您的情况不需要或不能申请 CET6 资格复核，如有疑问请联系学校负责老师。",
  IDENTITY_MISMATCH: "CET6 资格复核只能为本人申请：请先用本人证件查询资格信息，再从确认页面申请复核。",
  REVIEW_EXISTS: "该通行证账号已有一条 CET6 资格复核申请，一个账号只能有一条。请查看它的复核状态。",
  REVIEW_NO_MATCH: "该准考证号与您的证件号码、姓名都对应不上通过的 CET4 成绩记录，无法提交。请核对准考证号；忘记准考证号请联系学校负责老师。",
  REVIEW_BEFORE_2005: "2005 年以前的 CET4 成绩不能在线复核，请联系学校负责老师手动审核。",
  REVIEW_LOCKED: "复核申请处于“未复核”或“已通过”状态，不能修改或删除。未复核的申请请联系学校负责老师处理。",
  REVIEW_NOT_PENDING: "该复核申请已经处理过，请刷新列表。",
  // saving the registration (R-BIND)
  REGISTRATION_CLOSED: "现在不在您所在学校的网上报名时间内，不能保存报名信息。请关注学校通知的报名时间。",
  ACCOUNT_ALREADY_BOUND: "该通行证账号已绑定一名考生的报名信息，一个账号只能绑定一名考生。请返回报名首页查看。",
  CANDIDATE_ALREADY_BOUND: "该考生的报名信息已绑定到另一个通行证账号，请用原账号登录；如非本人操作，请联系学校负责老师。",
  // subjects (R-WRIT, R-ORAL)
  NOT_QUALIFIED: "您没有该科目的报考资格，请选择资格信息中列出的科目。",
  CAMPUS_NOT_OPEN: "该校区的口试报名现在未开放，请选择其他校区，或关注学校通知在开放后报考。",
  EXTERNAL_NOT_ALLOWED: "您的笔试校区不允许报考外校口试，请在本人笔试校区报考口试。",
  WRITTEN_REQUIRED: "报考口试前，请先报考同级别的英语笔试（四级口试需先报英语四级，六级口试需先报英语六级）。",
  LEVEL_TAKEN: "同一级别只能报考一个科目，您已报考了该级别的科目。如需更换，请先在报名信息中删除已选科目。",
  SUBJECT_TAKEN: "您已报考该科目，无需重复报考。",
  CAMPUS_FULL: "该校区此科目的考位刚刚报满，请选择其他校区（列表已更新）。",
  // the waiting room (R-QUEUE)
  NOT_ADMITTED: "该校区口试正在集中开放，需要排队：请先点“加入排队”，轮到您后在放行时间内选择校区。",
  QUEUE_NOT_OPEN: "该场次的排队尚未开始或已经结束，请留意页面上的排队时间。",
  QUEUE_NOT_ORDERED: "该场次的排队顺序尚未公布：开放时刻过后约一两分钟才会公布，请稍后再核对。",
  REGISTRATION_REQUIRED: "排队按考生计，每名考生每个场次只有一个位置：请先查询资格并保存报名信息，再加入排队。",
  CAMPUS_NOT_FULL: "该校区此科目尚有考位，请直接报考，无需候补（列表已更新）。",
  WAITLIST_EXISTS: "同一级别的口试只能候补一个校区；如需更换，请先退出原来的候补。",
  // the province administrator (R-OPS-2)
  INVALID_WINDOW: "报名截止时间须晚于开始时间，请检查后重新提交。",
  CAPACITY_BELOW_TAKEN: "容量不能低于该校区此科目已占用的考位数，请刷新概览后重新填写。",
  SUBJECT_PAID: "已缴费的科目不能更改或取消。",
  ORAL_DEPENDS: "请先删除依赖该笔试科目的口试科目，再删除笔试科目。",
  // payment (R-PAY)
  NOTHING_TO_PAY: "没有待缴费的科目，请返回报名首页查看。",
  ORDER_OPEN: "您已有一笔未完成的订单：请点击“继续支付”完成支付；若已付款但仍显示未缴费，请点击“更新”查询，不要重复付款。",
  PAYMENT_REFUSED: "支付平台拒绝了这笔支付（交易已关闭、已过期或已支付），请返回报名首页点击“更新”查看状态。",
  NOT_PAID: "这笔订单尚未支付，没有缴费凭证。支付完成后可在“缴费记录”中下载。",
  NOT_ACCEPTABLE: "文件下载失败（缴费凭证、准考证或签到表），请刷新页面后重试。",
  INTERNAL_ERROR: "系统繁忙，请稍后重试；您已保存的报名信息不会丢失。",
  // exam rooms and admission tickets (R-TICKET-2)
  TICKETS_NOT_OPEN: "准考证打印尚未开放，请在页面所示的开放时间（北京时间）后再来下载。",
  TICKETS_CLOSED: "该科目考试已结束，准考证不再提供下载。",
  NO_TICKET: "该科目没有准考证：只有已缴费并已编排考场的笔试科目才有准考证。请刷新报名首页查看；刚缴费的科目将在下次考场编排后显示。",
  TICKET_KEY_UNAVAILABLE: "准考证签名服务暂时不可用，请稍后再试；您的考场安排不受影响。",
  // the page's own
  NETWORK: "网络连接失败，请检查网络后重试。报名高峰期请耐心等待，不要反复刷新。",
  UNEXPECTED: "系统繁忙，请稍后重试。如多次失败，请联系学校负责老师。",
};

/** The contract's field names as the form calls them, for INVALID_REQUEST's "字段 x …". */
const FIELDS = {
  login: "通行证账号",
  password: "密码",
  captcha_id: "验证码",
  captcha_answer: "验证码",
  id_type: "证件类型",
  id_number: "证件号码",
  name: "姓名",
  ticket_number: "准考证号",
  confirm: "确认勾选",
  subject: "科目",
  campus_id: "口试校区",
  provider: "支付方式",
  bank: "支付银行",
  note: "备注",
  code: "验证码",
  new_password: "新密码",
  new_login: "新的通行证账号",
  capacity: "新容量",
  opens_at: "开始时间",
  closes_at: "截止时间",
};

function waitWords(seconds) {
  const value = Number(seconds);
  return value >= 60 ? `${Math.ceil(value / 60)} 分钟` : `${value} 秒`;
}

/** The sentence for an ApiError: the page's own words, plus the server's detail where it helps. */
export function describe(error) {
  const code = error?.code ?? "UNEXPECTED";
  if (code === "INVALID_REQUEST" && error.serverMessage) {
    return error.serverMessage.replace(/字段 ([a-z_]+) ?/g, (whole, field) => (FIELDS[field] ? `“${FIELDS[field]}”` : whole));
  }
  if (code === "WEAK_PASSWORD" && error.serverMessage) {
    return `${error.serverMessage}${PASSWORD_POLICY}`; // the server says which rule (R-ACC-5)
  }
  const triesLeft = code === "INVALID_CODE" ? /最多还可再试 (\d+) 次|输错次数已用完/.exec(error.serverMessage ?? "") : null;
  if (triesLeft) {
    // the server counts the wrong tries (R-ACC-3): the page says how many are left
    return triesLeft[1]
      ? `验证码不正确或已失效，最多还可再试 ${triesLeft[1]} 次（验证码 10 分钟内有效，只能使用一次）。请核对，或重新获取验证码。`
      : "验证码不正确或已失效，输错次数已用完。请稍后重新获取验证码再试。";
  }
  if (code === "TOO_MANY_ATTEMPTS" && error.retryAfter) {
    return `尝试次数过多，请在 ${waitWords(error.retryAfter)}后再试。`;
  }
  return MESSAGES[code] ?? error.serverMessage ?? MESSAGES.UNEXPECTED;
}
