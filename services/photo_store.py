"""Where item photos' files live: a folder (the instance folder by default, or any
path, such as a volume several hosts share) or an S3-compatible bucket.

The PHOTO_STORE setting chooses (config.py): `instance`, `path:<folder>` or `s3`.
Files are named by a hash of their content, so a store only ever adds a file under a
new name, reads it, or deletes it; nothing is overwritten with other content. The
bucket is private: photos are still served from our own /photos/ address (with a
year-long cache), so no bucket policy or public URL is needed. boto3 is needed only
for `s3` (`pip install tabby[s3]`).
"""

from pathlib import Path

from flask import Flask, current_app


class StoreUnavailable(Exception):
    """The store did not answer (a bucket unreachable, refused keys): nothing is lost,
    and the request can be tried again."""


class FolderStore:
    def __init__(self, folder: str):
        self.folder = Path(folder)

    def exists(self, name: str) -> bool:
        return (self.folder / name).is_file()

    def write(self, name: str, content: bytes) -> None:
        """Written under a temporary name and renamed, so a reader never sees half."""
        self.folder.mkdir(parents=True, exist_ok=True)
        target = self.folder / name
        partial = target.with_name(name + ".part")
        partial.write_bytes(content)
        partial.replace(target)

    def read(self, name: str) -> bytes | None:
        try:
            return (self.folder / name).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            return None

    def delete(self, name: str) -> None:
        (self.folder / name).unlink(missing_ok=True)


class S3Store:
    """A bucket on AWS S3 or anything speaking its API (MinIO, Ceph, R2, ...)."""

    def __init__(self, config):
        import boto3  # only needed when photos go to a bucket
        from botocore.config import Config as BotoConfig

        self.bucket = config["PHOTO_S3_BUCKET"]
        self.prefix = config["PHOTO_S3_PREFIX"]
        self.client = boto3.client(
            "s3",
            endpoint_url=config["PHOTO_S3_ENDPOINT"],
            region_name=config["PHOTO_S3_REGION"],
            aws_access_key_id=config["PHOTO_S3_ACCESS_KEY_ID"],
            aws_secret_access_key=config["PHOTO_S3_SECRET_ACCESS_KEY"],
            config=BotoConfig(connect_timeout=3, read_timeout=10, retries={"max_attempts": 2}),
        )
        from botocore.exceptions import BotoCoreError, ClientError

        self.failures = (BotoCoreError, ClientError)

    def _call(self, method: str, name: str, **arguments):
        """The bucket's answer; None when the object is not there."""
        try:
            return getattr(self.client, method)(
                Bucket=self.bucket, Key=self.prefix + name, **arguments
            )
        except self.failures as error:
            response = getattr(error, "response", None) or {}
            if response.get("Error", {}).get("Code", "") in ("404", "NoSuchKey", "NotFound"):
                return None
            raise StoreUnavailable(str(error)) from error

    def exists(self, name: str) -> bool:
        return self._call("head_object", name) is not None

    def write(self, name: str, content: bytes) -> None:
        self._call(
            "put_object",
            name,
            Body=content,
            ContentType="image/webp" if name.endswith(".webp") else "image/jpeg",
            CacheControl="public, max-age=31536000, immutable",
        )

    def read(self, name: str) -> bytes | None:
        answer = self._call("get_object", name)
        if answer is None:
            return None
        try:
            return answer["Body"].read()
        except self.failures as error:
            raise StoreUnavailable(str(error)) from error

    def delete(self, name: str) -> None:
        self._call("delete_object", name)


def store_for(app: Flask):
    """The app's photo store, made once per setting (a boto3 client is costly)."""
    config = app.config
    if config["PHOTO_STORE"] != "s3":
        return FolderStore(config["PHOTO_DIR"])
    settings = tuple(
        config[name]
        for name in (
            "PHOTO_S3_BUCKET",
            "PHOTO_S3_PREFIX",
            "PHOTO_S3_ENDPOINT",
            "PHOTO_S3_REGION",
            "PHOTO_S3_ACCESS_KEY_ID",
            "PHOTO_S3_SECRET_ACCESS_KEY",
        )
    )
    made = app.extensions.get("photo_store")
    if made is None or made[0] != settings:
        made = (settings, S3Store(config))
        app.extensions["photo_store"] = made
    return made[1]


def photo_store():
    return store_for(current_app)
