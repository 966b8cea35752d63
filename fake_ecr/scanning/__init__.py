"""Image scanning: where findings come from, and the scan state machine.

``packages`` reads an image's OS packages out of its layer blobs, ``versions`` orders package
versions by dpkg's and apk's rules, and ``vulnerabilities`` matches a vulnerability table against
the packages and renders ECR's basic and enhanced findings: pure domain code, stdlib and
``fake_ecr.errors`` only.  ``engine`` runs scans over the model (scan on push, StartImageScan,
the 24-hour quota, statuses on the fake's clock); it imports ``fake_ecr.model`` and never HTTP
or botocore.
"""
