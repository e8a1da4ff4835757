#pragma once

#include "FileSystem.h"
#include "execd/ApiException.h"
#include <optional>
#include <string>


namespace execd {
namespace files {


class Upload
	/// One file of an upload: written to a temporary file next to its target and
	/// renamed into place only when the whole request has arrived. A file whose
	/// metadata comes after it is spooled to another directory first and copied
	/// next to its target later. Whatever is not committed is removed.
{
public:
	Upload();
	~Upload();
		/// Removes the temporary file unless it was committed.

	Upload(const Upload&) = delete;
	Upload& operator = (const Upload&) = delete;

	void describe(const std::string& metadata);
		/// Reads the metadata part ({"path","owner","group","mode"}). Bad metadata
		/// does not throw: it is kept as error(), which the handler reports once
		/// the structure of the whole form has been checked.

	void resolve();
		/// Expands the target path. Throws ApiException 400 INVALID_FILE_METADATA
		/// past the path limits.

	void openBesideTarget();
		/// After resolve(): creates the missing directories above the target
		/// (owned as the metadata says) and the temporary file beside it.

	void openSpool(const std::string& dir);
		/// The metadata is not known yet: the temporary file goes to dir, and
		/// unspool() moves it next to the target.

	void write(const char* data, std::size_t size);
		/// Appends to the temporary file. Throws ApiException 507 when the disk is
		/// full, 404/500 for another failure; the temporary file is removed then.

	void finish();
		/// fsync; a file system that fails it (ENOSPC on delayed allocation) fails
		/// the upload, as write() does.

	void unspool();
		/// A spooled file, after resolve(): copied next to its target, as
		/// openBesideTarget() would have placed it.

	void commit();
		/// Takes an existing file's mode and owner (or the umask's mode for a new
		/// file), then renames over the target and syncs its directory.

	void discard();
		/// Closes and removes the temporary file.

	bool spooled() const;
		/// openSpool() was used, and unspool() has not been.

	const std::string& target() const;
		/// The path from the metadata; expanded once resolve() has been called.

	const Permission& permission() const;

	const std::optional<ApiException>& error() const;
		/// Why the metadata cannot be used; nothing when it can (or is not read yet).

private:
	void create(const std::string& dir);
	void adopt(Upload& other);
	[[noreturn]] void fail(int error, const std::string& op);

	std::string _target;
	Permission _permission;
	std::optional<ApiException> _error;
	std::string _temp;
	int _fd = -1;
	bool _spooled = false;
};


} } // namespace execd::files
