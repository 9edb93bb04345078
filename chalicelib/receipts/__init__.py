"""Printable documents for students: the payment receipt (R-PAY-6)."""
