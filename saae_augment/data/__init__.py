"""Everything that turns files into arrays: fonts and glyphs, label files, data set formats."""
