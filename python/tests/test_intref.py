"""The numpy reference's fixed-point helpers against integer-spec.md 9.1."""
import numpy as np

from qc import intref


def test_srdhm_ties():
    a = np.array([-32768, -98304, 32768, 98304, -(1 << 31)])
    b = np.array([32768, 32768, 32768, 32768, -(1 << 31)])
    assert intref.srdhm(a, b).tolist() == [0, -1, 1, 2, (1 << 31) - 1]


def test_rdbpot():
    x = np.array([-5, 5, -3, -6, 6])
    e = np.array([1, 1, 1, 2, 2])
    assert intref.rdbpot(x, e).tolist() == [-3, 3, -2, -2, 2]


def test_mbqm_spec_table():
    x = np.array([12345, -12345, 1000, 69, -69, 7000000, 123456789])
    got = intref.mbqm(x, 1992157647, -7)
    assert got.tolist() == [89, -89, 7, 1, -1, 50732, 894744]


def test_double_rounding():
    assert int(intref.mbqm(np.array([545]), 1666125716, -1)[0]) == 212
    assert int(intref.mbqm(np.array([1001]), 1610612736, 1)[0]) == 1502
