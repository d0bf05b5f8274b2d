from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # Rewrite ES module imports to hashed names too: the inbox's modules import one another,
    # and unhashed imports would let a browser mix old and new modules after a deploy.
    support_js_module_import_aggregation = True
