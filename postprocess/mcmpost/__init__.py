"""mcmpost: tables and plots of mcmsim's HDF5 output (schema v1).

Run as `/usr/bin/python3 -m mcmpost COMMAND ...` from postprocess/, or `postprocess/mcmplot
COMMAND ...` from anywhere. Only Debian's python3-h5py, python3-numpy and python3-matplotlib.
"""
