"""What is true: SymPy functions, derivations, the claim registry and the verifier.

This subpackage imports SymPy; nothing that fits or predicts imports it.
"""
