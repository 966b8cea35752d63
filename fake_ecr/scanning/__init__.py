"""Image scanning: where findings come from.

``packages`` reads an image's OS packages out of its layer blobs, ``versions`` orders package
versions by dpkg's and apk's rules, and ``vulnerabilities`` matches a vulnerability table against
the packages and renders ECR's basic and enhanced findings.  Pure domain code: stdlib and
``fake_ecr.errors`` only; never HTTP or botocore.
"""
