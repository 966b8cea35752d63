"""Who the caller is, as STS GetCallerIdentity tells it, for code that reads its account id from STS.

Owns the identity an active fake gives its callers in-process (``fake_ecr.surfaces.boto`` answers the call):
an IAM user, ``fake-ecr``, of the fake's account, as STS answers for an IAM user's credentials - UserId the
user's unique id (``AIDA`` and 17 more characters), Arn ``arn:<partition>:iam::<account>:user/<name>``
(https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html, and the unique id prefixes
of https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids).
The id is the same for an account in every run.

Must not import botocore or ``fake_ecr.surfaces.handle`` (which uses this module).
"""

from __future__ import annotations

import base64
import hashlib

from fake_ecr.model.records import partition_of

#: The IAM user the fake's test credentials belong to.
USER_NAME = "fake-ecr"
#: IAM's unique id prefix for a user.
USER_ID_PREFIX = "AIDA"


def caller_identity(account_id: str, region: str) -> dict[str, str]:
    """GetCallerIdentity's members for the fake's IAM user of ``account_id``, called in ``region``."""
    digest = hashlib.sha256(f"{USER_NAME}:{account_id}".encode()).digest()
    user_id = USER_ID_PREFIX + base64.b32encode(digest).decode()[:17]
    return {
        "UserId": user_id,
        "Account": account_id,
        "Arn": f"arn:{partition_of(region)}:iam::{account_id}:user/{USER_NAME}",
    }
