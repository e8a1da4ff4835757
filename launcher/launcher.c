/*
 * The execd launcher: a static program with a bundle appended to it (execd, its
 * modules, every shared library they need and the dynamic loader, from the build
 * machine; see scripts/bundle.py). At start it unpacks the bundle once into a
 * private directory named by the bundle's hash, then runs the real execd through
 * the bundled loader:
 *
 *     <dir>/lib/ld.so --library-path <dir>/lib --argv0 <dir>/bin/execd <dir>/bin/execd args...
 *
 * The library path is the loader's option, not LD_LIBRARY_PATH: processes that
 * execd starts use the image's own loader and libraries. EXECD_LAUNCHER tells
 * execd where this file is (its drop-in modules directory is next to it); execd
 * takes it out of its environment at once.
 *
 * Bundle layout, at the end of this file:
 *     payload (zlib stream of entries) | u64 payload size | 64 hex sha256 | "EXECDBN1"
 * An entry is "<path>\0<octal mode>\0<decimal size>\0" and size bytes of data.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#define MAGIC "EXECDBN1"
#define HASH_CHARS 64
#define TRAILER (8 + HASH_CHARS + 8)
#define LOADER "ld-linux-x86-64.so.2"
#ifdef __aarch64__
#undef LOADER
#define LOADER "ld-linux-aarch64.so.1"
#endif


static void fail(const char* what, const char* detail)
{
	fprintf(stderr, "execd launcher: %s%s%s%s%s\n", what, detail ? ": " : "", detail ? detail : "",
		errno ? ": " : "", errno ? strerror(errno) : "");
	exit(127);
}


static int readAll(int fd, void* buffer, size_t size, off_t offset)
{
	size_t done = 0;
	while (done < size)
	{
		ssize_t n = pread(fd, (char*) buffer + done, size - done, offset + (off_t) done);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return -1;
		done += (size_t) n;
	}
	return 0;
}


static int writeAll(int fd, const void* data, size_t size)
{
	size_t done = 0;
	while (done < size)
	{
		ssize_t n = write(fd, (const char*) data + done, size - done);
		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) return -1;
		done += (size_t) n;
	}
	return 0;
}


static int makeParents(char* path)
{
	for (char* p = path + 1; *p; ++p)
	{
		if (*p != '/') continue;
		*p = '\0';
		int rc = mkdir(path, 0700);
		*p = '/';
		if (rc != 0 && errno != EEXIST) return -1;
	}
	return 0;
}


struct Unpacker
	/* Parses the inflated entry stream as it comes. */
{
	const char* root;
	char header[PATH_MAX + 64];
	size_t headerLength;
	int fd;
	unsigned long long remaining;
	unsigned mode;
	char path[PATH_MAX];
};


static int entryStart(struct Unpacker* u)
{
	/* header: path \0 mode \0 size \0 */
	const char* name = u->header;
	size_t nameLength = strlen(name);
	const char* modeText = name + nameLength + 1;
	const char* sizeText = modeText + strlen(modeText) + 1;
	if (nameLength == 0 || name[0] == '/' || strstr(name, "..")) return -1;
	u->mode = (unsigned) strtoul(modeText, NULL, 8) & 0755;
	u->remaining = strtoull(sizeText, NULL, 10);
	if (snprintf(u->path, sizeof(u->path), "%s/%s", u->root, name) >= (int) sizeof(u->path)) return -1;
	if (makeParents(u->path) != 0) return -1;
	u->fd = open(u->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (u->fd < 0) return -1;
	if (u->remaining == 0)
	{
		if (fchmod(u->fd, u->mode) != 0 || close(u->fd) != 0) return -1;
		u->fd = -1;
	}
	return 0;
}


static int feed(struct Unpacker* u, const unsigned char* data, size_t size)
{
	while (size > 0)
	{
		if (u->fd < 0)
		{
			/* In a header: it ends after its third NUL. */
			int nuls = 0;
			for (size_t i = 0; i < u->headerLength; ++i) nuls += u->header[i] == '\0';
			while (size > 0 && nuls < 3)
			{
				if (u->headerLength >= sizeof(u->header)) return -1;
				u->header[u->headerLength++] = (char) *data;
				nuls += *data == '\0';
				++data;
				--size;
			}
			if (nuls < 3) return 0;
			if (entryStart(u) != 0) return -1;
			u->headerLength = 0;
			continue;
		}
		size_t n = size < u->remaining ? size : (size_t) u->remaining;
		if (writeAll(u->fd, data, n) != 0) return -1;
		data += n;
		size -= n;
		u->remaining -= n;
		if (u->remaining == 0)
		{
			if (fchmod(u->fd, u->mode) != 0 || close(u->fd) != 0) return -1;
			u->fd = -1;
		}
	}
	return 0;
}


static int unpack(int self, off_t start, unsigned long long size, const char* root)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (inflateInit(&z) != Z_OK) return -1;
	struct Unpacker u;
	memset(&u, 0, sizeof(u));
	u.root = root;
	u.fd = -1;
	static unsigned char in[1 << 16];
	static unsigned char out[1 << 18];
	unsigned long long done = 0;
	int rc = Z_OK;
	while (rc != Z_STREAM_END)
	{
		if (z.avail_in == 0)
		{
			if (done >= size) break;
			size_t n = size - done < sizeof(in) ? (size_t) (size - done) : sizeof(in);
			if (readAll(self, in, n, start + (off_t) done) != 0) break;
			done += n;
			z.next_in = in;
			z.avail_in = (uInt) n;
		}
		z.next_out = out;
		z.avail_out = sizeof(out);
		rc = inflate(&z, Z_NO_FLUSH);
		if (rc != Z_OK && rc != Z_STREAM_END) break;
		if (feed(&u, out, sizeof(out) - z.avail_out) != 0)
		{
			rc = Z_DATA_ERROR;
			break;
		}
	}
	inflateEnd(&z);
	if (u.fd >= 0) close(u.fd);
	return rc == Z_STREAM_END && u.fd < 0 && u.headerLength == 0 ? 0 : -1;
}


static int usable(const char* dir)
{
	/* A directory we own, private, on a file system that allows exec. */
	struct stat st;
	struct statvfs vfs;
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return 0;
	if (st.st_uid != geteuid() || (st.st_mode & 0077) != 0) return 0;
	if (statvfs(dir, &vfs) != 0 || (vfs.f_flag & ST_NOEXEC)) return 0;
	return 1;
}


int main(int argc, char** argv)
{
	int self = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	if (self < 0) fail("cannot open /proc/self/exe", NULL);
	struct stat st;
	if (fstat(self, &st) != 0 || st.st_size < TRAILER) fail("no bundle", NULL);
	char trailer[TRAILER + 1];
	if (readAll(self, trailer, TRAILER, st.st_size - TRAILER) != 0) fail("cannot read the bundle", NULL);
	trailer[TRAILER] = '\0';
	if (memcmp(trailer + 8 + HASH_CHARS, MAGIC, 8) != 0) fail("no bundle at the end of this file", NULL);
	uint64_t size = 0;
	for (int i = 7; i >= 0; --i) size = (size << 8) | (unsigned char) trailer[i];
	if (size == 0 || size > (uint64_t) st.st_size - TRAILER) fail("bad bundle size", NULL);
	char hash[17];
	memcpy(hash, trailer + 8, 16);
	hash[16] = '\0';
	off_t start = st.st_size - TRAILER - (off_t) size;

	/* Where to unpack: $EXECD_BUNDLE_DIR, else the first place that allows exec. */
	const char* bases[] = {getenv("EXECD_BUNDLE_DIR"), "/var/lib/execd", "/tmp", "/dev/shm", NULL};
	char dir[1200];   /* a base of at most 1024 bytes, "/.execd-", the hash */
	char loader[PATH_MAX];
	int ready = 0;
	for (int i = 0; i < 4 && !ready; ++i)
	{
		const char* base = bases[i];
		if (!base || !*base || strlen(base) > 1024) continue;
		mkdir(base, 0755);
		snprintf(dir, sizeof(dir), "%s/.execd-%s", base, hash);
		snprintf(loader, sizeof(loader), "%s/lib/%s", dir, LOADER);
		if (usable(dir) && access(loader, X_OK) == 0)
		{
			ready = 1;
			break;
		}
		char temporary[1300];
		snprintf(temporary, sizeof(temporary), "%s.%ld", dir, (long) getpid());
		if (mkdir(temporary, 0700) != 0) continue;
		if (!usable(temporary) || unpack(self, start, size, temporary) != 0)
			continue;   /* left behind (a full disk, say); the next start uses another name */
		if (rename(temporary, dir) != 0 && !(errno == EEXIST || errno == ENOTEMPTY))
			continue;
		ready = usable(dir) && access(loader, X_OK) == 0;
	}
	if (!ready) fail("cannot unpack the bundle anywhere (tried $EXECD_BUNDLE_DIR, /var/lib/execd, /tmp, /dev/shm)", NULL);
	close(self);

	char library[PATH_MAX];
	char program[PATH_MAX];
	snprintf(library, sizeof(library), "%s/lib", dir);
	snprintf(program, sizeof(program), "%s/bin/execd", dir);
	char** args = calloc((size_t) argc + 7, sizeof(char*));
	if (!args) fail("out of memory", NULL);
	int n = 0;
	args[n++] = loader;
	args[n++] = "--library-path";
	args[n++] = library;
	args[n++] = "--argv0";
	args[n++] = program;
	args[n++] = program;
	for (int i = 1; i < argc; ++i) args[n++] = argv[i];
	args[n] = NULL;
	char launcher[PATH_MAX];
	ssize_t length = readlink("/proc/self/exe", launcher, sizeof(launcher) - 1);
	if (length > 0)
	{
		launcher[length] = '\0';
		setenv("EXECD_LAUNCHER", launcher, 1);
	}
	else
		unsetenv("EXECD_LAUNCHER");   /* not one from whoever started us */
	execv(loader, args);
	fail("cannot run", loader);
	return 127;
}
