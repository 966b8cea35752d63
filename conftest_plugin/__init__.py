"""The pytest plugin of fake-ecr (registered through the ``pytest11`` entry point).

Imports only fake_ecr's public API.
"""
