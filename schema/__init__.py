"""Data package: our TEI customization (edition.odd, edition.xsd, xml.xsd) and the vendored TEI P5 4.8.0 schemas."""
