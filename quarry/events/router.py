"""HTTP routes of a run's event stream (placeholder until built)."""

from fastapi import APIRouter

router = APIRouter()
