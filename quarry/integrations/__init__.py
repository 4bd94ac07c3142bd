"""Connected storage: S3, Google Drive, Dropbox; from-sources and the mixed trigger."""
