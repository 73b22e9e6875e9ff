"""Drive and observe a deployed Envoy mesh: faults, traffic, the edge's rotation and the collection's playbooks.

The cluster, HTTP, load and the lab's constants come from the shared test toolkit (tests/toolkit).
"""
