"""The staff dashboard: where each person's work starts. It sits above every domain it
summarises (accounts, moderation, classrooms), so none of them has to import another."""
