#pragma once

#include "IsolationService.h"
#include "SessionView.h"
#include "execd/JsonHandler.h"
#include <cstddef>


namespace execd {
namespace isolation {


class ViewHandler: public JsonHandler
	/// The per-session file routes, /v1/isolated/session/{id}/files… and
	/// …/directories (contract §4.3), on the session's SessionView. Admission first:
	/// 503 without a runner, 404 SESSION_NOT_FOUND, 500 "isolated session is not
	/// active" for a dead or stopping session. While a route works, it holds the
	/// session's file lease: teardown waits for it (up to 5 s).
{
public:
	enum class Kind
	{
		INFO,
		DOWNLOAD,
		UPLOAD,
		DELETE_FILES,
		MOVE,
		PERMISSIONS,
		REPLACE,
		SEARCH,
		LIST,
		MKDIR,
		RMDIR
	};

	static constexpr std::size_t WALK_MAX_ENTRIES = 1000000;
		/// The most entries one search or list visits; past it, 400.

	static constexpr std::size_t MAX_UPLOAD_FILES = 1024;
		/// The most files one upload carries (each is spooled to a descriptor of
		/// its own until the form is complete); past it, 400 INVALID_FILE. Their
		/// metadata parts hold 1 MiB in all.

	static constexpr std::size_t REPLACE_MAX_BYTES = 64 * 1024 * 1024;
		/// The largest file replace edits, before and after; past it, 413.

	ViewHandler(RouteMatch match, IsolationService& service, Kind kind);

protected:
	// execd::JsonHandler
	void handle(Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response) override;

private:
	void serve(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void info(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void download(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void upload(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void deleteFiles(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void move(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void permissions(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void replace(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void search(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void list(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void makeDirectories(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);
	static void removeDirectories(const SessionView& view, Poco::Net::HTTPServerRequest& request, Poco::Net::HTTPServerResponse& response);

	static void placeFile(const SessionView& view, const SessionView::Location& target, int source, std::size_t size, mode_t newMode, bool keepMode);

	IsolationService& _service;
	const Kind _kind;
};


} } // namespace execd::isolation
