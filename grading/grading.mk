# grading/grading.mk: make grade, make gradescope, make handin (being written).
