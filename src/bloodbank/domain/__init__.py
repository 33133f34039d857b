"""The domain core: pure rules that decide whether blood is safe to take, label and give.

Nothing here does I/O or imports a framework; every entry point reaches these
rules through the service layer.
"""
