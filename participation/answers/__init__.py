"""The organisation's answers to children ("you said, we did"): written and approved by
organisers, read by children under each part, on their ideas and in committee letters."""
