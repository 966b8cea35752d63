"""The formats fake-ecr reads and writes, with no state: the bottom of the house.

``digest`` (digests and the OCI name, tag and reference grammar), ``manifests`` (image manifests and
indexes: parsing, media types, the descriptors they reference), ``streams`` (bodies read in bounded
chunks while hashing) and ``service_model`` (botocore's ECR model as installed: request validation
with ECR's messages, response serialization, pagination), ``control_api`` (the control API's route
prefix and the durations, times and image references its requests carry).  Imports only ``fake_ecr.errors`` and
``fake_ecr.settings`` from the package; never the state, the surfaces, werkzeug or pytest.
"""
