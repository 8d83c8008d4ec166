"""The dropout cases.

The steps of a case, the notices it issues and the verification of a return to school.
"""
