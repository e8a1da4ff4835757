#include "FilesBodies.h"
#include "Upload.h"


namespace execd {
namespace files {
namespace fuzz {


void decodeUploadMetadata(const std::string& text)
{
	Upload upload;
	upload.describe(text);
	if (upload.error()) throw *upload.error();
}


} } } // namespace execd::files::fuzz
