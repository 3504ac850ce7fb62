"""The RSA key pair that signs tokens: generated once per deployment, cached once per container.

The private key lives in Secrets Manager as `{"kid": ..., "private_key_pem": ...}`; only functions
that sign read it. The public half is also published apart, as a JWK in an SSM parameter (the
stack writes it from the key generator's answer), for the functions that only show or verify it:
they are not allowed to read the private key. Parsing a key costs milliseconds, so a container
does it once and keeps the parsed key for every later token.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass
from functools import cache
from typing import Any

from aws_lambda_powertools.utilities import parameters
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from lambdas.catalog import Resource
from lambdas.waiting_room.settings import settings

# Secrets are read once per container; the cache outlives any Lambda container.
SECRET_MAX_AGE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class VerifyingKey:
    kid: str
    public_key: rsa.RSAPublicKey
    public_jwk: dict[str, Any]


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: rsa.RSAPrivateKey
    public_jwk: dict[str, Any]

    @property
    def verifying(self) -> VerifyingKey:
        return VerifyingKey(self.kid, self.private_key.public_key(), self.public_jwk)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def public_jwk_of(public_key: rsa.RSAPublicKey, kid: str) -> dict[str, Any]:
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    return {"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid, "n": jwk["n"], "e": jwk["e"]}


def thumbprint(public_key: rsa.RSAPublicKey) -> str:
    """RFC 7638 JWK thumbprint: a stable `kid` derived from the key itself."""
    jwk = RSAAlgorithm.to_jwk(public_key, as_dict=True)
    canonical = json.dumps({"e": jwk["e"], "kty": "RSA", "n": jwk["n"]}, separators=(",", ":"))
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def generate_key_material() -> dict[str, str]:
    """A new key pair in the secret's format."""
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {"kid": thumbprint(private_key.public_key()), "private_key_pem": pem}


def parse_key_material(material: dict[str, str]) -> SigningKey:
    private_key = serialization.load_pem_private_key(material["private_key_pem"].encode(), password=None)
    if not isinstance(private_key, rsa.RSAPrivateKey):
        raise ValueError("the signing key must be an RSA key")
    kid = material["kid"]
    return SigningKey(kid, private_key, public_jwk_of(private_key.public_key(), kid))


def parse_public_jwk(jwk: dict[str, Any]) -> VerifyingKey:
    public_key = RSAAlgorithm.from_jwk(jwk)
    if not isinstance(public_key, rsa.RSAPublicKey):
        raise ValueError("the published key must be an RSA public key")
    kid = jwk["kid"]
    return VerifyingKey(kid, public_key, public_jwk_of(public_key, kid))


@cache
def verifying_key() -> VerifyingKey:
    """The public half, from its own parameter: no access to the private key needed."""
    jwk = parameters.get_parameter(
        os.environ.get(Resource.JWT_PUBLIC_KEY.value, ""), transform="json", max_age=SECRET_MAX_AGE_SECONDS
    )
    return parse_public_jwk(jwk)


@cache
def signing_key() -> SigningKey:
    material = parameters.get_secret(
        settings().jwt_secret_id, transform="json", max_age=SECRET_MAX_AGE_SECONDS
    )
    return parse_key_material(material)
