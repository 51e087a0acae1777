"""d1-test-node: a stand-in DataONE Coordinating Node and member node for tests.

Standard library only; shares no code with the C++ product (it is the independent
side of every test).
"""

__version__ = "1.0"
