"""What every test root and benchmark shares: the lab's constants, Kubernetes, HTTP, load and figures.

    lab     the local lab's fixed facts: kubeconfig, namespace, NodePort, edge URL, paths of this checkout
    target  which deployed mesh a run checks: the lab's, or one chosen with MESH_* variables
    kube    a namespace through the Kubernetes API, and kubectl for what only kubectl does
    http    HTTP/1.1 requests that give a Response for every call, failed ones included
    load    bounded keep-alive load from a few client processes
    stats   the one definition of the median and percentiles in every printed figure

pytest imports it as ``toolkit`` because pytest.ini at the repository root puts tests/ on sys.path; molecule's
verifier, which does not find pytest.ini, gets the path from molecule/conftest.py, the benchmarks (plain
scripts) from benchmarks/_paths.py.
"""
