# Vietnamese groups thousands by three with a dot (1.234.567), which Django's own Vietnamese formats
# leave unset; the rest comes from Django's.
NUMBER_GROUPING = 3
