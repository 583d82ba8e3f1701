"""Children's consultative committees: standing groups run by adult facilitators, whose
sessions send the organisation the group's view of the plan, part by part. Statements become
submissions and are screened and reviewed like any child's idea; no child is ever named."""
