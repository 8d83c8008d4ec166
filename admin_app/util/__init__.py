"""Plumbing shared by the services and views.

Dates, SQL helpers, request parameters, files, site flags, history, optimistic locking, paged
listing, errors, serving, backup and the audit log.
"""
