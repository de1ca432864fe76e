// Assay
