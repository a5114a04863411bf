"""Student copies, assignments and an autograder that cannot be fooled by what a submission prints.

- :mod:`~audioml.book.grading.chapter`: a chapter's exercises, stubs and the student copy;
- :mod:`~audioml.book.grading.screen`: what an answer cell may not do;
- :mod:`~audioml.book.grading.assemble`: the submission's answers in the teacher's chapter;
- :mod:`~audioml.book.grading.guard` and :mod:`~audioml.book.grading.run`: a fresh folder and kernel per submission;
- :mod:`~audioml.book.grading.gradebook`: points, partial credit and the CSV;
- :mod:`~audioml.book.grading.assignments`: ``make assignments`` (student notebooks, tests, autograder zips);
- :mod:`~audioml.book.grading.cli`: ``python -m audioml.book.grading student|assignments|grade``.
"""

from audioml.book.grading.chapter import (
    chapter_exercises,
    exercise_labels,
    strip_markers,
    stub,
    student_copy,
    write_student_copies,
)

__all__ = ["chapter_exercises", "exercise_labels", "strip_markers", "student_copy", "stub", "write_student_copies"]
