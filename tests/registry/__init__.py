"""Registry tests (a package, so module names such as test_auth stay unique across tests/)."""
