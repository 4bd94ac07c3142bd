"""Extraction results as people take them away: schema order, records, columns, file writers.

Shared by the run export (`GET /api/job-runs/:id/results`) and `quarry extract`, so a file
written by either has the same columns. Knows nothing of the database or of HTTP.
"""
