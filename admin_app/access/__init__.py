"""Who may do what and see which rows.

Logins, the permissions table, the village scope, masking, passwords, lockout and the security
headers.
"""
