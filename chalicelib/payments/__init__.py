"""Payment providers behind one small interface: Alipay and a bank gateway (R-PAY-2)."""
