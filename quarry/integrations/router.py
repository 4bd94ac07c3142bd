"""HTTP routes (placeholder until the domain is built)."""

from fastapi import APIRouter

router = APIRouter()
