"""Student copies, assignments and an autograder that cannot be fooled by what a submission prints.

- :mod:`~audioml.grading.chapter`: a chapter's exercises, stubs and the student copy;
- :mod:`~audioml.grading.screen`: what an answer cell may not do;
- :mod:`~audioml.grading.assemble`: the submission's answers in the teacher's chapter;
- :mod:`~audioml.grading.guard` and :mod:`~audioml.grading.run`: a fresh folder and kernel per submission;
- :mod:`~audioml.grading.gradebook`: points, partial credit and the CSV;
- :mod:`~audioml.grading.assignments`: ``make assignments`` (student notebooks, tests, autograder zips);
- :mod:`~audioml.grading.cli`: ``python -m audioml.grading student|assignments|grade``.
"""
from audioml.grading.chapter import chapter_exercises, exercise_labels, strip_markers, student_copy, stub, \
    write_student_copies

__all__ = ["chapter_exercises", "exercise_labels", "strip_markers", "student_copy", "stub", "write_student_copies"]
