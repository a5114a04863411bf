"""The book's own machinery: results files with roles, the comparison chapter, exercises,
chapter execution and grading. The top layer: it may import any other, and none imports it.
"""
