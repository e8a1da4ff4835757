// parseMetadata() and Upload are in the anonymous namespace of UploadHandler.cpp:
// compiling the file here makes them callable from this translation unit.

#include "UploadHandler.cpp"
#include "FilesBodies.h"


namespace execd {
namespace files {
namespace fuzz {


void decodeUploadMetadata(const std::string& text)
{
	Upload upload;
	parseMetadata(text, upload);
	if (upload._error) throw *upload._error;
}


} } } // namespace execd::files::fuzz
