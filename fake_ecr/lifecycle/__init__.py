"""Lifecycle policies: ``policy`` is the grammar and the rule evaluation (pure, stdlib and
``fake_ecr.errors`` only); ``runs`` applies a policy to a repository's images on the fake's clock
and expires them through the model's one write path.  Never imports HTTP, botocore or the surfaces.
"""
