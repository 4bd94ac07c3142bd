"""A real S3 wire-protocol server on 127.0.0.1 for tests: moto's threaded server.

moto keeps its state per process, so every test module uses its own bucket names. Request
signatures are only checked while `enforce_auth()` is on (a global moto switch: turn it off
again, presigned URLs fail under it).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3  # type: ignore[import-untyped]
import httpx
from moto.server import ThreadedMotoServer

ADMIN_KEY = "testing"
REGION = "us-east-1"


class MotoS3:
    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def client(self, key_id: str = ADMIN_KEY, secret: str = ADMIN_KEY, service: str = "s3") -> Any:
        return boto3.session.Session().client(
            service,
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=key_id,
            aws_secret_access_key=secret,
        )

    def bucket(self, name: str, objects: dict[str, bytes] | None = None) -> None:
        s3 = self.client()
        s3.create_bucket(Bucket=name)
        for key, body in (objects or {}).items():
            s3.put_object(Bucket=name, Key=key, Body=body)

    def user_denied(
        self, name: str, bucket: str, denied_prefix: str, using: tuple[str, str] | None = None
    ) -> tuple[str, str]:
        """Keys of a new IAM user that may do anything but read `denied_prefix*` in `bucket`
        (made with the keys `using`, once signatures are checked)."""
        iam = self.client(*(using or (ADMIN_KEY, ADMIN_KEY)), service="iam")
        iam.create_user(UserName=name)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        statements = [
            {"Effect": "Allow", "Action": "*", "Resource": "*"},
            {
                "Effect": "Deny",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/{denied_prefix}*",
            },
        ]
        policy = json.dumps({"Version": "2012-10-17", "Statement": statements})
        iam.put_user_policy(UserName=name, PolicyName="reader", PolicyDocument=policy)
        return str(key["AccessKeyId"]), str(key["SecretAccessKey"])

    def enforce_auth(self, on: bool) -> None:
        value = b"0" if on else b"inf"
        answer = httpx.post(f"{self.endpoint_url}/moto-api/reset-auth", content=value)
        answer.raise_for_status()


@contextmanager
def moto_s3() -> Iterator[MotoS3]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    s3 = MotoS3(f"http://{host}:{port}")
    try:
        yield s3
    finally:
        s3.enforce_auth(False)
        server.stop()
