"""usersvc-sds: serves Kubernetes EndpointSlices to Envoy as v3 EDS over REST-JSON."""
