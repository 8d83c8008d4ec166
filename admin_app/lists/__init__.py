"""The lists brought in from outside.

Import of spreadsheets, import plans, bulk actions, the cross-check against other lists and row
validation.
"""
