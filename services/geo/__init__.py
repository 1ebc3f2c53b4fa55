"""Where things are (网格一张图): datums, area boundaries, the spatial index of micro-grids."""
