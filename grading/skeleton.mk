# grading/skeleton.mk: make skeleton, make check-labs (being written).
