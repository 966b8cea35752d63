"""Property tests (a package, so module names such as test_fuzz stay unique across tests/)."""
