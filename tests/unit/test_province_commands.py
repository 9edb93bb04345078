"""The province's commands on a machine that cannot reach the table: one line that says why, exit 2."""

from __future__ import annotations

import pytest

from province.__main__ import main


def test_r_ops_1_recount_without_credentials_says_so_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/credentials")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent/config")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("TABLE_NAME", "cet-registration-nowhere")

    assert main(["recount", "--dry-run"]) == 2

    err = capsys.readouterr().err
    assert "无法访问表 cet-registration-nowhere：没有 AWS 凭证" in err
    assert "Traceback" not in err
