"""Where users reach the fake: everything that speaks HTTP or patches a client library.

From the bottom up: ``tls`` (the throwaway CA), ``boto`` (the botocore hook that sends an ECR client's
requests into the fake in-process), ``requests_routing`` (the same for Python ``requests``, through
``responses``), ``http_bodies`` (the bounded request-body reader), ``environment`` (the variables a
subprocess needs), ``connections`` (the bounded threaded WSGI server), ``server`` (one WSGI app for the
API and the registry), ``handle`` (``FakeEcr`` / ``mock_ecr``, the object tests hold) and ``cli``
(``fake-ecr serve | demo``).  The layers below (formats, model, api, registry) never import this package.
"""
