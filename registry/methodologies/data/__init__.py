"""Factor files of the methodologies (a package so that the JSON files ship as package data)."""
