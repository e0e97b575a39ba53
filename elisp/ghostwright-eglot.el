;;; ghostwright-eglot.el --- ghostwright over eglot's connection -*- lexical-binding: t; -*-

;; Copyright (C) 2026 The ghostwright authors

;; Author: The ghostwright authors
;; URL: https://github.com/ghostwright/ghostwright

;; This file is not part of GNU Emacs.

;; Licensed under the Apache License, Version 2.0.

;;; Commentary:

;; The transport `eglot' of ghostwright.el: when ghostwright is a
;; buffer's eglot server (`ghostwright-eglot-contact' in
;; `eglot-server-programs'), requests go over eglot's connection and
;; documents are eglot's; no second server starts.  Partials arrive
;; through `eglot-handle-notification'.  Nothing here loads eglot.

;;; Code:

(require 'cl-lib)
(require 'jsonrpc)
(require 'ghostwright)
(require 'ghostwright-jsonrpc)

(declare-function eglot-current-server "ext:eglot")
(declare-function eglot-shutdown "ext:eglot")

(ghostwright--reads-private
 '((eglot-server-name eglot--server-info)
   (eglot-flush eglot--signal-textDocument/didChange)
   (eglot-uri eglot--TextDocumentIdentifier eglot-path-to-uri)
   (eglot-position eglot--pos-to-lsp-position)
   (eglot-version eglot--docver eglot--versioned-identifier)))

;;;###autoload
(defun ghostwright-eglot-contact ()
  "Return an `eglot-server-programs' contact for ghostwright."
  (append ghostwright-server-command
          (list :initializationOptions (or ghostwright-initialization-options
                                           (make-hash-table)))))

(with-eval-after-load 'eglot
  (cl-defmethod eglot-handle-notification
    (_server (_method (eql ghostwright/partialCompletion)) &rest params)
    "Grow the ghost text from a partial completion PARAMS."
    (ghostwright--on-partial params)))

(defvar ghostwright--ghostwright-servers (make-hash-table :test #'eq :weakness 'key)
  "Whether each eglot server seen is ghostwright (t or `no').")

(defun ghostwright--is-ghostwright-p (server)
  "Non-nil when the eglot SERVER is ghostwright."
  (let ((known (gethash server ghostwright--ghostwright-servers)))
    (unless known
      (setq known
            (if-let ((info (ghostwright--private 'eglot--server-info)))
                (if (equal (plist-get (funcall info server) :name) "ghostwright") t 'no)
              ;; Without eglot's record of serverInfo: only ghostwright answers its status.
              (condition-case nil
                  (progn (jsonrpc-request server :ghostwright/status nil :timeout 5) t)
                (error 'no))))
      (puthash server known ghostwright--ghostwright-servers))
    (eq known t)))

(defun ghostwright--eglot-server ()
  "The buffer's eglot server when it is ghostwright, else nil."
  (when (fboundp 'eglot-current-server)
    (let ((server (eglot-current-server)))
      (when (and server (ghostwright--is-ghostwright-p server))
        server))))

(defun ghostwright--server-encoding (transport)
  "The position encoding TRANSPORT's server agreed on, as far as known."
  (or (ghostwright--get (gethash (cdr transport) ghostwright--status-cache) :positionEncoding)
      "utf-16"))

;;; The transport

(cl-defmethod ghostwright--client-connection ((_kind (eql eglot)))
  "The buffer's eglot server when it is ghostwright."
  (ghostwright--eglot-server))

(cl-defmethod ghostwright--transport-document ((transport (head eglot)))
  "Uri, version and position at point of eglot's TRANSPORT, after a flush."
  (let ((flush (ghostwright--private 'eglot--signal-textDocument/didChange))
        (ident (ghostwright--private 'eglot--TextDocumentIdentifier))
        (to-uri (ghostwright--private 'eglot-path-to-uri))
        (position (ghostwright--private 'eglot--pos-to-lsp-position)))
    (when flush (funcall flush))
    (list :uri (cond (ident (plist-get (funcall ident) :uri))
                     (to-uri (funcall to-uri buffer-file-name))
                     (t (ghostwright--uri t)))
          ;; Unflushed, the version read now may be older than the server's: leave it out.
          :version (and flush (ghostwright--private-value 'eglot--docver 'eglot--versioned-identifier))
          :position (if position
                        (funcall position)
                      (ghostwright--position (point) (ghostwright--server-encoding transport)))
          :deferred (null flush))))

;; Requests, notifications, cancellation and status: the default methods
;; of ghostwright-jsonrpc.el, for an eglot server is a jsonrpc.el connection.

(cl-defmethod ghostwright--transport-shutdown ((transport (head eglot)))
  "Stop eglot's ghostwright server of TRANSPORT."
  (eglot-shutdown (cdr transport)))

(provide 'ghostwright-eglot)
;;; ghostwright-eglot.el ends here
