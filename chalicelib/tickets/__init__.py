"""Admission tickets (R-TICKET-2) and sign-in sheets (R-TICKET-3): signed QR codes, PDFs, keys."""
