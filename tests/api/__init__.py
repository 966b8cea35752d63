"""Control-plane tests (a package, so module names such as test_images stay unique across tests/)."""
